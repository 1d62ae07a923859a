// The communiqué editor works without this script (order numbers move sections). With it, each
// section gets "move up" / "move down" buttons that reorder the fieldsets and renumber the orders.
(function () {
  "use strict";
  var form = document.getElementById("editor");
  if (!form) { return; }
  function sections() { return Array.prototype.slice.call(form.querySelectorAll("[data-section]")); }
  function renumber() {
    sections().forEach(function (fieldset, index) {
      var order = fieldset.querySelector("[data-order]");
      if (order) { order.value = String(index + 1); }
    });
  }
  function button(label, onClick) {
    var b = document.createElement("button");
    b.type = "button";
    b.className = "link move";
    b.textContent = label;
    b.addEventListener("click", onClick);
    return b;
  }
  sections().forEach(function (fieldset) {
    var legend = fieldset.querySelector("legend");
    legend.appendChild(button("↑ move up", function () {
      var previous = fieldset.previousElementSibling;
      if (previous && previous.hasAttribute("data-section")) { fieldset.parentNode.insertBefore(fieldset, previous); renumber(); }
    }));
    legend.appendChild(button("↓ move down", function () {
      var next = fieldset.nextElementSibling;
      if (next && next.hasAttribute("data-section")) { fieldset.parentNode.insertBefore(next, fieldset); renumber(); }
    }));
  });
})();
