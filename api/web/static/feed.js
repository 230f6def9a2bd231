/* `/disclosures`: new records arrive live through the public API's subscription (disclosurePublished
   over graphql-transport-ws, with the page's filter). They go into the live panel, whose height is
   fixed, so nothing else on the page moves. */
(function () {
  "use strict";
  var cg = window.creditgraph, el = cg.el;
  var list = document.getElementById("live-list");
  var state = document.getElementById("live-state");
  var STATES = { connecting: "连接中", open: "已连接", closed: "已断开，正在重连", error: "连接出错" };
  var KEEP = 50;

  function item(record) {
    var subject = record.subject;
    return el("li", { class: "live-item", "data-id": record.id },
      el("span", { class: "badge cat" }, record.categoryLabel), " ",
      el("a", { href: cg.subjectHref(subject) }, subject.name), " ",
      el("span", { class: "title" }, record.title), " ",
      el("span", { class: "date" }, record.publishedOn + " · " + record.authority));
  }

  cg.subscribe("DisclosurePublished", { filter: cg.data.filter }, {
    state: function (value) {
      state.textContent = STATES[value] || value;
      state.setAttribute("data-state", value);
    },
    next: function (data) {
      var record = data.disclosurePublished;
      var waiting = list.querySelector(".waiting");
      if (waiting) waiting.remove();
      var old = list.querySelector('[data-id="' + CSS.escape(record.id) + '"]');
      if (old) old.remove();
      list.prepend(item(record));
      while (list.children.length > KEEP) list.lastElementChild.remove();
    }
  });
})();
