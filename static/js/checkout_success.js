// After Checkout: poll the billing state until the webhook has landed, show the plan, then go
// back to the billing page after 3 seconds (the words come translated in the page's data attributes).
(function () {
  var box = document.getElementById("checkout-success");
  var status = document.getElementById("checkout-status");
  if (!box || !status) return;
  var attempts = 0;
  function poll() {
    attempts += 1;
    fetch(box.dataset.stateUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (state) {
        if (state && state.plan !== "free" && (state.status === "active" || state.status === "trialing")) {
          var key = "plan" + state.plan.charAt(0).toUpperCase() + state.plan.slice(1);
          status.textContent = box.dataset.doneText.replace("{plan}", box.dataset[key] || state.plan);
          status.dataset.plan = state.plan;
          setTimeout(function () { window.location.href = box.dataset.doneUrl; }, 3000);
        } else if (attempts < 60) {
          setTimeout(poll, 1000);
        } else {
          status.textContent = box.dataset.lateText;
        }
      })
      .catch(function () { if (attempts < 60) setTimeout(poll, 1000); });
  }
  poll();
})();
