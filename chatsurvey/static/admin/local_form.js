/* The local question form: reading age and SMS length beside each question's words, as you type. */
(function () {
  "use strict";
  var form = document.getElementById("question-form");
  if (!form) { return; }
  var url = form.getAttribute("data-check-url");
  var token = form.querySelector("input[name=csrf_token]").value;
  function check(box) {
    var out = document.getElementById(box.id + "-check");
    fetch(url, { method: "POST", credentials: "same-origin",
                 headers: { "Content-Type": "application/json", "Accept": "application/json",
                            "X-CSRFToken": token },
                 body: JSON.stringify({ text: box.value }) })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (d) {
        if (!d || !out) { return; }
        var age = d.reading_age === null ? "too short to measure" : "reading age " + d.reading_age;
        out.textContent = age + (d.reads_ok ? "" : " (aim for " + d.target + " or below)") +
          " \u00B7 " + d.characters + " characters, " + d.segments + " SMS" +
          (d.encoding === "GSM-7" ? "" : " (" + d.encoding + ": fewer characters fit)");
        out.classList.toggle("too-hard", !d.reads_ok || d.segments > 1);
      });
  }
  form.querySelectorAll("[data-text-check]").forEach(function (box) {
    var timer = null;
    box.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () { check(box); }, 300);
    });
    if (box.value) { check(box); }
  });
}());
