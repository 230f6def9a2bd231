/* The subject page: the print button prints the credit summary (the print stylesheet lays it out). */
(function () {
  "use strict";
  var button = document.getElementById("print");
  if (button) button.addEventListener("click", function () { window.print(); });
})();
