// Dialogs (异常申请, 提示, the print dialog, the seal, signature and operator editors): every
// <dialog aria-modal="true"> the server sends, with the page or swapped in by htmx, is shown as a
// modal (focus moves into it, the page behind is inert so Tab stays inside, Esc closes it). When it
// closes or htmx removes it, focus returns to what opened it. Without JavaScript the dialogs are
// plain <dialog open> elements on the page, which work as they are.
(function () {
  "use strict";
  var openers = new WeakMap();   // dialog -> the element focus returns to
  var nextOpener = null;         // what was focused when the request that brings a dialog started

  function openerOf(element) {
    // A dialog that re-renders itself (a form answered 422) keeps the opener of the one it replaces.
    var inside = element && element.closest ? element.closest("dialog") : null;
    return inside ? (openers.get(inside) || null) : element;
  }

  function focusBack(opener) {
    if (document.querySelector("dialog:modal")) { return; }
    var target = opener && opener.isConnected ? opener : document.getElementById("main");
    if (!target) { return; }
    if (target === document.getElementById("main")) { target.setAttribute("tabindex", "-1"); }
    target.focus();
  }

  function show(dialog) {
    if (openers.has(dialog) || !dialog.isConnected) { return; }
    var active = document.activeElement !== document.body ? document.activeElement : null;
    openers.set(dialog, nextOpener || openerOf(active));
    nextOpener = null;
    dialog.addEventListener("close", function () {
      focusBack(openers.get(dialog));
    });
    if (dialog.open) { dialog.open = false; }     // <dialog open> from the server: shown again as a modal
    dialog.showModal();
  }

  function dialogsIn(node) {
    if (node.nodeType !== 1) { return []; }
    var found = Array.prototype.slice.call(node.querySelectorAll('dialog[aria-modal="true"]'));
    if (node.matches('dialog[aria-modal="true"]')) { found.unshift(node); }
    return found;
  }

  document.addEventListener("htmx:beforeRequest", function () {
    var active = document.activeElement !== document.body ? document.activeElement : null;
    nextOpener = openerOf(active);
  });

  // The page behind a modal is inert, but Tab past its last control would leave for the browser's
  // own bar: it wraps round to the first control instead (and Shift+Tab the other way).
  var FOCUSABLE = 'a[href], button:not([disabled]), input:not([disabled]):not([type="hidden"]), ' +
    'select:not([disabled]), textarea:not([disabled]), summary, [tabindex]:not([tabindex="-1"])';
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Tab") { return; }
    var dialog = document.querySelector("dialog:modal");
    if (!dialog) { return; }
    var controls = Array.prototype.filter.call(dialog.querySelectorAll(FOCUSABLE), function (c) {
      return c.getClientRects().length > 0;
    });
    if (!controls.length) { event.preventDefault(); return; }
    var first = controls[0], last = controls[controls.length - 1];
    var active = document.activeElement;
    if (event.shiftKey ? (active === first || !dialog.contains(active)) : (active === last || !dialog.contains(active))) {
      event.preventDefault();
      (event.shiftKey ? last : first).focus();
    }
  });

  // 取消 in a modal opened from the page closes it (without JavaScript it is a link back to the
  // page; the operator editor's, /account/#operators, would only scroll the page under an open
  // modal). A dialog that came with the page (a form opened by its address, a page like
  // /exceptions/apply that is only the dialog) has no opener: its link navigates, as without JS.
  document.addEventListener("click", function (event) {
    var link = event.target.closest ? event.target.closest("[data-dialog-close]") : null;
    var dialog = link ? link.closest("dialog") : null;
    if (!dialog || !dialog.matches(":modal") || !openers.get(dialog)) { return; }
    event.preventDefault();
    dialog.close();
  });

  new MutationObserver(function (records) {
    var added = [], removed = [];
    records.forEach(function (record) {
      record.addedNodes.forEach(function (node) { added = added.concat(dialogsIn(node)); });
      record.removedNodes.forEach(function (node) {
        dialogsIn(node).forEach(function (d) { if (openers.has(d) && !d.isConnected) { removed.push(d); } });
      });
    });
    added.forEach(show);
    // A dialog removed without a successor (已知悉, 保存 done): focus goes back to its opener.
    if (removed.length && !added.length) { focusBack(openers.get(removed[0])); }
  }).observe(document.documentElement, {childList: true, subtree: true});

  function init() { dialogsIn(document.body).forEach(show); }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
