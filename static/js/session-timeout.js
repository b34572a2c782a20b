/*
 * Idle-timeout warning. Loaded with `defer` on signed-in pages (no inline script: the CSP
 * forbids it).
 *
 * The server is the clock: it records activity at most once a minute, so the page asks
 * GET <data-keepalive-url> for the seconds left (that request is not counted as activity)
 * instead of trusting its own timer. Two minutes before the end it opens the dialog from
 * templates/accounts/security/_session_timeout.html; "Stay signed in" POSTs to the same URL.
 * When the server answers that the session is over, the page goes to the sign-in page.
 */
(function () {
  "use strict";

  var WARNING_SECONDS = 120;
  // Activity is recorded with a resolution of a minute, so the server's idle clock may have
  // started up to a minute before this page loaded: ask a little early.
  var RESOLUTION_MARGIN_SECONDS = 60;

  var body = document.body;
  var idleSeconds = parseInt(body.getAttribute("data-session-idle-seconds"), 10);
  var statusUrl = body.getAttribute("data-keepalive-url");
  if (!idleSeconds || !statusUrl || !window.fetch) {
    return;
  }
  var dialog = document.getElementById("session-timeout-dialog");
  var countdown = dialog ? dialog.querySelector("[data-session-countdown]") : null;
  var keepAliveForm = dialog ? dialog.querySelector("form[data-session-keepalive]") : null;
  var loginUrl = (dialog && dialog.getAttribute("data-login-url")) || "/accounts/sign-in/";

  var checkTimer = null;
  var tickTimer = null;
  var deadline = 0;

  function csrfToken() {
    var input = keepAliveForm && keepAliveForm.querySelector("input[name='csrfmiddlewaretoken']");
    if (input) {
      return input.value;
    }
    var meta = document.querySelector("meta[name='csrf-token']");
    return meta ? meta.getAttribute("content") : "";
  }

  function goToSignIn() {
    var next = window.location.pathname + window.location.search;
    window.location.assign(loginUrl + "?next=" + encodeURIComponent(next));
  }

  function schedule(seconds) {
    window.clearTimeout(checkTimer);
    checkTimer = window.setTimeout(check, Math.max(1, seconds) * 1000);
  }

  function formatRemaining(seconds) {
    var s = Math.max(0, Math.round(seconds));
    var rest = s % 60;
    return Math.floor(s / 60) + ":" + (rest < 10 ? "0" : "") + rest;
  }

  function tick() {
    if (countdown) {
      countdown.textContent = formatRemaining((deadline - Date.now()) / 1000);
    }
  }

  function hideWarning() {
    window.clearInterval(tickTimer);
    if (dialog && dialog.open) {
      dialog.close();
    }
  }

  function showWarning(remaining) {
    deadline = Date.now() + remaining * 1000;
    tick();
    window.clearInterval(tickTimer);
    tickTimer = window.setInterval(tick, 1000);
    if (dialog && !dialog.open && typeof dialog.showModal === "function") {
      dialog.showModal();
    }
    // At the deadline ask once more: another tab may have kept the session alive.
    schedule(remaining + 1);
  }

  function handle(response) {
    var type = response.headers.get("Content-Type") || "";
    if (!response.ok || type.indexOf("application/json") === -1) {
      return null;
    }
    return response.json();
  }

  function react(data) {
    var remaining = data && typeof data.remaining_seconds === "number" ? data.remaining_seconds : 0;
    if (remaining <= 0) {
      hideWarning();
      goToSignIn();
    } else if (remaining > WARNING_SECONDS) {
      hideWarning();
      schedule(remaining - WARNING_SECONDS);
    } else {
      showWarning(remaining);
    }
  }

  function check() {
    window.fetch(statusUrl, {
      method: "GET",
      credentials: "same-origin",
      cache: "no-store",
      headers: { Accept: "application/json" }
    }).then(handle).then(react).catch(function () {
      // Network trouble: try again shortly rather than signing the person out.
      schedule(15);
    });
  }

  function stay() {
    window.fetch(statusUrl, {
      method: "POST",
      credentials: "same-origin",
      cache: "no-store",
      headers: { Accept: "application/json", "X-CSRFToken": csrfToken() }
    }).then(handle).then(react).catch(function () {
      schedule(5);
    });
  }

  if (keepAliveForm) {
    keepAliveForm.addEventListener("submit", function (event) {
      event.preventDefault();
      stay();
    });
  }
  if (dialog) {
    // Escape closes the dialog; someone pressing a key is present, so treat it as staying.
    dialog.addEventListener("cancel", function (event) {
      event.preventDefault();
      stay();
    });
  }

  schedule(idleSeconds - WARNING_SECONDS - RESOLUTION_MARGIN_SECONDS);
}());
