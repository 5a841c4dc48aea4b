// Shows <time data-local> in the viewer's own time zone (the page is rendered
// in US Eastern time), and tells the server the browser's UTC offset for
// times typed into forms that carry a tz_offset_minutes field.
(function () {
  var format = new Intl.DateTimeFormat(undefined, {
    weekday: "short", year: "numeric", month: "short", day: "numeric",
    hour: "numeric", minute: "2-digit", timeZoneName: "short",
  });
  function apply() {
    document.querySelectorAll("time[data-local]:not([data-localized])").forEach(function (el) {
      var at = new Date(el.getAttribute("datetime"));
      if (!isNaN(at)) {
        el.textContent = format.format(at);
        el.setAttribute("data-localized", "true");
      }
    });
    document.querySelectorAll("input[name=tz_offset_minutes]").forEach(function (el) {
      var typed = document.getElementById(el.dataset.for);
      var at = typed && typed.value ? new Date(typed.value) : new Date();
      el.value = String(at.getTimezoneOffset());
    });
  }
  apply();
  document.addEventListener("input", apply);
  new MutationObserver(apply).observe(document.documentElement, { childList: true, subtree: true });
})();
