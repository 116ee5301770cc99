/* The admin's small helpers: confirm before destructive actions, focus the error summary. */
(function () {
  'use strict';
  document.addEventListener('submit', function (event) {
    var form = event.target;
    var question = form.getAttribute && form.getAttribute('data-confirm');
    if (question && !window.confirm(question)) { event.preventDefault(); }
  });
  document.addEventListener('DOMContentLoaded', function () {
    var summary = document.querySelector('[data-focus]');
    if (summary) { summary.focus(); }
  });
})();
