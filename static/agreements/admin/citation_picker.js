/*
 * Citation picker on a source's admin page: select a passage of the stored text, press
 * "Citera", and the new-citation form opens with this source and the passage filled in.
 * Without this script the plain link beside the button opens the same form with the source
 * chosen, and the passage is pasted by hand. Loaded as a file: the CSP forbids inline script.
 */
(function () {
  "use strict";

  function selectedIn(box) {
    var selection = window.getSelection();
    if (!selection || selection.isCollapsed || selection.rangeCount === 0) {
      return "";
    }
    var range = selection.getRangeAt(0);
    if (!box.contains(range.startContainer) || !box.contains(range.endContainer)) {
      return "";
    }
    return selection.toString().trim();
  }

  function setUp(picker) {
    var box = picker.querySelector(".source-text");
    var button = picker.querySelector(".citation-picker-cite");
    if (!box || !button) {
      return;
    }
    button.hidden = false;
    document.addEventListener("selectionchange", function () {
      button.disabled = selectedIn(box) === "";
    });
    // Pressing the button must not clear the selection it is about to use.
    button.addEventListener("mousedown", function (event) {
      event.preventDefault();
    });
    button.addEventListener("click", function () {
      var quote = selectedIn(box);
      if (!quote) {
        return;
      }
      var url = new URL(picker.dataset.addUrl, window.location.href);
      url.searchParams.set("quote", quote);
      window.location.assign(url.toString());
    });
  }

  function start() {
    document.querySelectorAll(".citation-picker").forEach(setUp);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
