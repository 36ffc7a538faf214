// rolegate console: small progressive enhancements only; every page works without script.
// Served as /console/static/console.js (no inline script: CSP script-src 'self').
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  // The sign-in form: the IAM user name field only for IAM users.
  var root = document.getElementById("usertype-root"), iam = document.getElementById("usertype-iam");
  var user = document.getElementById("username");
  function sync() {
    if (!root || !user) return;
    var p = user.closest("p");
    if (p) p.hidden = root.checked;
    user.required = !root.checked;
  }
  if (root && iam) {
    root.addEventListener("change", sync);
    iam.addEventListener("change", sync);
    sync();
  }
});
