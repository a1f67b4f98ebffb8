// The console's one script. Live refresh: the region marked `data-live` is fetched
// again every `data-every` ms (with the `x-console-fragment` header, which makes the
// server send that region alone) and swapped in, while the page is visible and the
// "Live" box is ticked. Everything else works without JavaScript.
(function () {
  "use strict";

  var region = document.getElementById("live");
  var toggle = document.getElementById("live-toggle");
  var status = document.getElementById("live-status");
  if (!region || !region.dataset.live) {
    return;
  }
  var every = Math.max(1000, Number(region.dataset.every) || 5000);
  var busy = false;

  function say(text) {
    if (status) {
      status.textContent = text;
    }
  }

  function refresh() {
    if (busy || document.hidden || (toggle && !toggle.checked)) {
      return;
    }
    busy = true;
    fetch(region.dataset.live, {
      headers: { "x-console-fragment": "1" },
      credentials: "same-origin",
      cache: "no-store",
    })
      .then(function (response) {
        if (response.status === 401) {
          say("Signed out: reload the page to sign in again");
          return null;
        }
        if (!response.ok) {
          say("Refresh failed (" + response.status + "); retrying");
          return null;
        }
        return response.text();
      })
      .then(function (html) {
        if (html === null) {
          return;
        }
        // Parsed into an inert document: nothing in it runs, then moved in whole.
        var parsed = new DOMParser().parseFromString(
          "<!doctype html><body>" + html,
          "text/html"
        );
        region.replaceChildren.apply(region, Array.from(parsed.body.childNodes));
        say("Updated " + new Date().toLocaleTimeString());
      })
      .catch(function () {
        say("Offline; retrying");
      })
      .then(function () {
        busy = false;
      });
  }

  window.setInterval(refresh, every);
  document.addEventListener("visibilitychange", function () {
    if (!document.hidden) {
      refresh();
    }
  });
  if (toggle) {
    toggle.addEventListener("change", function () {
      say(toggle.checked ? "Live" : "Paused");
      if (toggle.checked) {
        refresh();
      }
    });
  }
})();
