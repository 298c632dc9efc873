// Every page: messages can be dismissed; after an invalid submit, focus goes to the error
// summary so a keyboard or screen-reader user hears what to fix first.
document.addEventListener("DOMContentLoaded", () => {
  for (const button of document.querySelectorAll(".messages .dismiss")) {
    button.hidden = false;
    button.addEventListener("click", () => button.closest(".message").remove());
  }
  const summary = document.querySelector(".error-summary");
  if (summary) {
    summary.focus();
  }
});
