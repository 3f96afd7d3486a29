/* Warns before the idle time-out and offers to continue working (loaded by templates/base.html for
 * signed-in users only).
 *
 * The idle time and the warning lead time (seconds) and the two addresses come from <body data-session-*>.
 * Before the warning is shown the server is asked how much time is really left — another tab may have
 * been active — and that question does not count as activity. "Continue working" posts to the keep-alive
 * address with the CSRF token of a form on the page (the CSRF cookie is HttpOnly, so it cannot be read).
 * Without this script nothing breaks: a form posted after the time-out is kept and given back after
 * sign-in (accounts/unsaved.py).
 */
(function () {
  "use strict";

  var body = document.body;
  var idle = Number(body.dataset.sessionIdle);
  var lead = Number(body.dataset.sessionWarning);
  var statusUrl = body.dataset.sessionStatus;
  var extendUrl = body.dataset.sessionExtend;
  var warning = document.getElementById("session-warning");
  var ended = document.getElementById("session-ended");
  if (!idle || !lead || !statusUrl || !extendUrl || !warning || !ended) {
    return;
  }
  var minutes = warning.querySelector(".session-minutes");
  var button = warning.querySelector(".session-extend");
  var RETRY_MS = 30000; // when the server cannot be reached (a phone out of coverage)
  var deadline = Date.now() + idle * 1000; // when the session ends, as far as this tab knows
  var timer = null;
  var ticker = null;

  function schedule(ms, task) {
    clearTimeout(timer);
    timer = setTimeout(task, Math.max(0, ms));
  }

  function csrfToken() {
    var field = document.querySelector("input[name=csrfmiddlewaretoken]");
    return field ? field.value : "";
  }

  // Resolves with the seconds left; null when the session is over (the server answered with a redirect
  // to sign in); undefined when there was no usable answer.
  function ask(method) {
    var options = {
      method: method,
      credentials: "same-origin",
      redirect: "manual",
      cache: "no-store",
      headers: { Accept: "application/json" },
    };
    if (method === "POST") {
      options.headers["X-CSRFToken"] = csrfToken();
    }
    return fetch(method === "POST" ? extendUrl : statusUrl, options).then(function (response) {
      if (response.type === "opaqueredirect") {
        return null;
      }
      if (!response.ok) {
        return undefined;
      }
      return response.json().then(function (data) {
        return typeof data.remaining === "number" ? data.remaining : undefined;
      });
    });
  }

  function showMinutes() {
    minutes.textContent = String(Math.max(1, Math.ceil((deadline - Date.now()) / 60000)));
  }

  function showWarning() {
    ended.hidden = true;
    showMinutes();
    warning.hidden = false;
    clearInterval(ticker);
    ticker = setInterval(showMinutes, 10000);
  }

  function hideWarning() {
    warning.hidden = true;
    clearInterval(ticker);
  }

  function showEnded() {
    hideWarning();
    clearTimeout(timer);
    ended.hidden = false;
  }

  // Act on the server's answer: look again later, warn, or say the session is over.
  function follow(remaining) {
    if (remaining === null) {
      showEnded();
      return;
    }
    if (remaining === undefined) {
      schedule(RETRY_MS, check);
      return;
    }
    deadline = Date.now() + remaining * 1000;
    if (remaining > lead) {
      hideWarning();
      schedule((remaining - lead) * 1000, check);
      return;
    }
    showWarning();
    // Just after the end: the server then signs the session out and answers with a redirect.
    schedule(remaining * 1000 + 1000, check);
  }

  function failed() {
    follow(undefined);
  }

  function check() {
    ask("GET").then(follow, failed);
  }

  button.addEventListener("click", function () {
    button.disabled = true;
    ask("POST")
      .then(follow, failed)
      .then(function () {
        button.disabled = false;
      });
  });

  // Timers sleep while a phone's screen is off or the tab is hidden: look again on coming back.
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible" && ended.hidden) {
      check();
    }
  });

  schedule((idle - lead) * 1000, check);
})();
