// The dashboard works without this script; it only adds "copy" buttons next to read-only
// fields (invoice links, keys). Served from our own origin: the CSP allows no inline script.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("button[data-copy]").forEach(function (button) {
    var field = document.getElementById(button.getAttribute("data-copy"));
    if (!field || !navigator.clipboard) {
      return;
    }
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(field.value).then(function () {
        var status = document.getElementById("copied");
        if (status) {
          status.textContent = "Copied.";
        }
        button.textContent = "Copied";
      }, function () {
        field.select();
      });
    });
  });
  document.querySelectorAll("input[readonly]").forEach(function (field) {
    field.addEventListener("focus", function () { field.select(); });
  });
});
