/* The agreement page's entry, enhanced; every field works without it (aid/admin_fields.py).
   A static file: the Content-Security-Policy allows no inline script.

   1. Beside an amount, how the ledger reads it: "SEK 13,300,000,000 = 13.3 billion". The rule
      mirrors aid/amounts.py; the server decides, this only shows.
   2. A citation may name a line item of the same form by its row: rows added with
      "Add another" are offered too. */
(function () {
  "use strict";

  var WORDS = { thousand: 3, k: 3, million: 6, m: 6, mn: 6, billion: 9, bn: 9 };
  var SPACES = /[\u00a0\u202f\u2009]/g;

  // {whole: "13300000000", cents: ""} or null, as aid/amounts.py parse_amount reads it.
  function parse(text) {
    var match = /^([0-9][0-9,. ]*?) *([a-z]*)$/.exec(text.replace(SPACES, " ").trim().toLowerCase());
    if (!match || (match[2] && !WORDS.hasOwnProperty(match[2]))) return null;
    var parts = match[1].split(".");
    var whole = parts[0], fraction = parts.length > 1 ? parts[1] : "";
    if (parts.length > 2 || (parts.length === 2 && !/^[0-9]+$/.test(fraction))) return null;
    if (/[, ]/.test(whole) && !/^[0-9]{1,3}(,[0-9]{3})+$/.test(whole) &&
        !/^[0-9]{1,3}( [0-9]{3})+$/.test(whole)) return null;
    var shift = WORDS[match[2]] || 0;
    while (fraction.length < shift) fraction += "0";
    var digits = (whole.replace(/[, ]/g, "") + fraction.slice(0, shift)).replace(/^0+(?=[0-9])/, "");
    var cents = fraction.slice(shift).replace(/0+$/, "");
    if (cents.length > 2 || digits.length > 16) return null;
    return { whole: digits, cents: cents };
  }

  function grouped(digits) {
    return digits.replace(/\B(?=([0-9]{3})+$)/g, ",");
  }

  // "13.3 billion" for a round figure, as aid/amounts.py amount_in_words; else "".
  function inWords(amount) {
    var scales = [[9, "billion"], [6, "million"], [3, "thousand"]];
    for (var i = 0; i < scales.length; i++) {
      var exponent = scales[i][0];
      if (amount.whole.length > exponent) {
        var tail = amount.whole.slice(-exponent).replace(/0+$/, "");
        if (amount.cents || tail.length > 3) return "";
        return grouped(amount.whole.slice(0, -exponent)) + (tail ? "." + tail : "") + " " + scales[i][1];
      }
    }
    return "";
  }

  function reading(input) {
    var shown = input.nextElementSibling;
    if (!shown || !shown.classList.contains("amount-reading")) {
      shown = document.createElement("span");
      shown.className = "amount-reading";
      shown.setAttribute("aria-live", "polite");
      input.insertAdjacentElement("afterend", shown);
    }
    return shown;
  }

  function showAmount(input) {
    var text = input.value.trim();
    var shown = reading(input);
    if (!text) { shown.textContent = ""; return; }
    var amount = parse(text);
    if (!amount) { shown.textContent = input.getAttribute("data-unread"); return; }
    var currency = input.form && input.form.elements[input.name.replace(/amount$/, "currency")];
    var code = currency ? currency.value.trim().toUpperCase() : "";
    var figure = grouped(amount.whole) + (amount.cents ? "." + (amount.cents + "0").slice(0, 2) : "");
    var words = inWords(amount);
    shown.textContent = (code ? code + " " : "") + figure + (words ? " = " + words : "");
  }

  function amountOf(field) {
    if (!field.name) return null;
    if (field.hasAttribute("data-amount")) return field;
    if (/currency$/.test(field.name) && field.form) {
      return field.form.elements[field.name.replace(/currency$/, "amount")] || null;
    }
    return null;
  }

  document.addEventListener("input", function (event) {
    var input = amountOf(event.target);
    if (input && input.hasAttribute && input.hasAttribute("data-amount")) showAmount(input);
  });
  // The admin loads this script in the page's head: the fields come later.
  function ready() {
    document.querySelectorAll("input[data-amount]").forEach(function (input) {
      if (!/__prefix__/.test(input.name)) showAmount(input);
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", ready);
  else ready();

  // Line item rows a citation may name: those added since the page was built.
  function offerRows() {
    var total = document.getElementById("id_line_items-TOTAL_FORMS");
    var initial = document.getElementById("id_line_items-INITIAL_FORMS");
    if (!total || !initial) return;
    var first = Number(initial.value) + 1, last = Number(total.value);
    document.querySelectorAll("select[name^='citations-'][name$='-line_item']").forEach(function (select) {
      var pattern = select.getAttribute("data-row-label");
      if (!pattern) return;
      Array.prototype.slice.call(select.options).forEach(function (option) {
        var number = /^row-([0-9]+)$/.exec(option.value);
        if (number && (Number(number[1]) < first || Number(number[1]) > last)) option.remove();
      });
      for (var row = first; row <= last; row++) {
        if (!select.querySelector("option[value='row-" + row + "']")) {
          select.add(new Option(pattern.replace("%(number)s", row), "row-" + row));
        }
      }
    });
  }

  document.addEventListener("formset:added", function (event) {
    // A citation added is a copy of the page's first template: offer the rows added since.
    var name = event.detail && event.detail.formsetName;
    if (name === "line_items" || name === "citations") offerRows();
  });
  document.addEventListener("formset:removed", function (event) {
    if (event.detail && event.detail.formsetName === "line_items") offerRows();
  });
})();
