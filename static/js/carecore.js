/*
 * CareCore page behaviour. Loaded with `defer` from base.html; the CSP allows only scripts
 * from this origin, so nothing here is inline and everything degrades to a working page
 * without JavaScript (the navigation is simply always open).
 */
(function () {
  "use strict";

  // On a phone the main navigation folds behind a "Menu" button. The button stays hidden
  // until this script runs, so without JavaScript the links are never out of reach.
  function setUpNavToggle() {
    var toggle = document.querySelector(".nav-toggle");
    var nav = document.getElementById("site-nav");
    if (!toggle || !nav) {
      return;
    }
    function setExpanded(expanded) {
      toggle.setAttribute("aria-expanded", expanded ? "true" : "false");
      nav.classList.toggle("is-collapsed", !expanded);
    }
    toggle.hidden = false;
    setExpanded(false);
    toggle.addEventListener("click", function () {
      setExpanded(toggle.getAttribute("aria-expanded") !== "true");
    });
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && toggle.getAttribute("aria-expanded") === "true"
          && window.getComputedStyle(toggle).display !== "none") {
        setExpanded(false);
        toggle.focus();
      }
    });
  }

  // Forms that do something irreversible carry data-confirm="question"; the browser's own
  // dialog asks before submitting.
  function setUpConfirmations() {
    document.addEventListener("submit", function (event) {
      var form = event.target;
      var question = form && form.getAttribute && form.getAttribute("data-confirm");
      if (question && !window.confirm(question)) {
        event.preventDefault();
      }
    });
  }

  // Move focus to the first field in error so keyboard and screen-reader users land on it.
  function focusFirstError() {
    var invalid = document.querySelector("main [aria-invalid='true']");
    if (invalid && typeof invalid.focus === "function") {
      invalid.focus();
    }
  }

  setUpNavToggle();
  setUpConfirmations();
  focusFirstError();
}());
