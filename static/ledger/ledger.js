/* Progressive enhancement of the public pages; every page works without it.
   Loaded from our own origin with defer: the Content-Security-Policy allows no inline script. */
(function () {
  "use strict";

  // Filter forms submit only what filters: no empty fields (q=&date_after=&...) and no
  // field left at its default (per_page=50, the default sort), so shared links stay short.
  function quiet(form) {
    Array.prototype.forEach.call(form.elements, function (field) {
      if (!field.name || field.disabled || field.type === "submit") return;
      if (field.type === "checkbox" || field.type === "radio") return;
      var fallback = field.getAttribute("data-default");
      if (field.value === "" || (fallback !== null && field.value === fallback)) {
        field.disabled = true;
        field.setAttribute("data-quieted", "");
      }
    });
  }

  function unquiet() {
    document.querySelectorAll("[data-quieted]").forEach(function (field) {
      field.disabled = false;
      field.removeAttribute("data-quieted");
    });
  }

  document.querySelectorAll("form[data-clean-submit]").forEach(function (form) {
    form.addEventListener("submit", function () { quiet(form); });
  });
  // A page restored by the back button gets its fields back.
  window.addEventListener("pageshow", unquiet);

  // Beside the results the filter panel is open (browsers without ::details-content).
  var panel = document.getElementById("filter-panel");
  if (panel && window.matchMedia("(min-width: 60rem)").matches) panel.open = true;
})();
