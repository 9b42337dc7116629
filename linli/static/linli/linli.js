// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";
  // Background jobs: poll the job's JSON and update the progress bar in place.
  function poll(box) {
    var url = box.getAttribute("data-job-url");
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (job) {
        box.querySelector("progress").value = job.percent;
        ["percent", "done", "total", "message"].forEach(function (k) {
          var el = box.querySelector('[data-field="' + k + '"]');
          if (el) { el.textContent = job[k]; }
        });
        var status = box.querySelector('[data-field="status"]');
        if (status) { status.textContent = job.status; }
        if (job.finished) {
          var next = box.getAttribute("data-done-url");
          if (next) { window.location.href = next; } else { window.location.reload(); }
        } else {
          window.setTimeout(function () { poll(box); }, 1000);
        }
      })
      .catch(function () { window.setTimeout(function () { poll(box); }, 3000); });
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-poll]").forEach(poll);
    // Print buttons are hidden until this script can make them work.
    document.querySelectorAll("[data-print]").forEach(function (button) {
      button.hidden = false;
      button.addEventListener("click", function () { window.print(); });
    });
    // Double taps: a submitted form's buttons are disabled until the next page loads.
    document.querySelectorAll("form[method=post]").forEach(function (form) {
      form.addEventListener("submit", function () {
        window.setTimeout(function () {
          form.querySelectorAll("button").forEach(function (b) { b.disabled = true; });
        }, 0);
      });
    });
  });
})();
