"""The text of the simple PDFs the Stripe simulator serves: every string its content streams
show (`(…) Tj`), one line each, decoded as their WinAnsi font encodes them."""

import re

STREAM = re.compile(rb"stream\r?\n(.*?)\r?\nendstream", re.DOTALL)
ESCAPES = {ord("n"): b"\n", ord("r"): b"\r", ord("t"): b"\t", ord("b"): b"\b", ord("f"): b"\f"}


def _literal_strings(stream: bytes) -> list[bytes]:
    """The literal strings `( … )` of a content stream, with their escapes undone."""
    strings, current, depth, index = [], bytearray(), 0, 0
    while index < len(stream):
        byte = stream[index]
        if depth and byte == ord("\\"):
            index += 1
            escaped = stream[index]
            current += ESCAPES.get(escaped, bytes([escaped]))
        elif byte == ord("("):
            if depth:
                current.append(byte)
            depth += 1
        elif byte == ord(")") and depth:
            depth -= 1
            if depth:
                current.append(byte)
            else:
                strings.append(bytes(current))
                current = bytearray()
        elif depth:
            current.append(byte)
        index += 1
    return strings


def pdf_text(document: bytes) -> list[str]:
    assert document.startswith(b"%PDF-"), "not a PDF"
    return [
        text.decode("cp1252")
        for stream in STREAM.findall(document)
        for text in _literal_strings(stream)
    ]
