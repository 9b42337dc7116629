// Food orders: big −/+ buttons around each quantity. Progressive enhancement only: without
// this file the quantities are plain number inputs and the page works the same.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll(".qtybox").forEach(function (box) {
      var input = box.querySelector("input");
      if (!input) { return; }
      box.querySelectorAll("button.step").forEach(function (button) {
        button.hidden = false;
        button.addEventListener("click", function () {
          var min = parseInt(input.min || "0", 10);
          var max = input.max ? parseInt(input.max, 10) : Infinity;
          var value = (parseInt(input.value, 10) || 0) + parseInt(button.dataset.step, 10);
          input.value = Math.max(min, Math.min(max, value));
          input.dispatchEvent(new Event("change", { bubbles: true }));
        });
      });
    });
  });
})();
