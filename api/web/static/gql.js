/* creditgraph website: a small client of the public GraphQL API (GET for queries, so public answers
   are cached like any other client's; graphql-transport-ws for subscriptions) and DOM helpers that
   only ever create text nodes (no innerHTML with data). The documents come from the page's JSON data
   block (api/web/queries.graphql, the one place where the website's queries live). */
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("cg-data").textContent);
  var ENDPOINT = "/graphql";

  function GraphQLFailure(error) {
    this.message = error.message;
    this.code = (error.extensions && error.extensions.code) || "INTERNAL_SERVER_ERROR";
  }

  function query(name, variables, signal) {
    var params = new URLSearchParams({
      query: data.queries[name],
      operationName: name,
      variables: JSON.stringify(variables || {})
    });
    return fetch(ENDPOINT + "?" + params.toString(), {
      headers: { Accept: "application/graphql-response+json, application/json" },
      credentials: "omit",
      signal: signal
    }).then(function (response) {
      return response.json();
    }).then(function (body) {
      if (body.errors && body.errors.length) throw new GraphQLFailure(body.errors[0]);
      return body.data;
    });
  }

  /* One subscription over graphql-transport-ws, reconnecting with backoff. Returns a stop function. */
  function subscribe(name, variables, on) {
    var socket = null, stopped = false, delay = 1000, timer = null;
    function send(message) { socket.send(JSON.stringify(message)); }
    function open() {
      var scheme = location.protocol === "https:" ? "wss://" : "ws://";
      socket = new WebSocket(scheme + location.host + ENDPOINT, "graphql-transport-ws");
      on.state("connecting");
      socket.onopen = function () { send({ type: "connection_init", payload: {} }); };
      socket.onmessage = function (event) {
        var message = JSON.parse(event.data);
        if (message.type === "connection_ack") {
          delay = 1000;
          send({ id: "1", type: "subscribe", payload: { query: data.queries[name], operationName: name, variables: variables } });
          on.state("open");
        } else if (message.type === "next" && message.payload && message.payload.data) {
          on.next(message.payload.data);
        } else if (message.type === "ping") {
          send({ type: "pong" });
        } else if (message.type === "error" || message.type === "complete") {
          on.state("error");
        }
      };
      socket.onclose = function () {
        if (stopped) return;
        on.state("closed");
        timer = setTimeout(open, delay);
        delay = Math.min(delay * 2, 30000);
      };
    }
    open();
    return function stop() {
      stopped = true;
      clearTimeout(timer);
      if (socket) socket.close();
    };
  }

  /* An element with attributes and children; strings become text nodes. */
  function el(tag, attrs) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) {
      var value = attrs[key];
      if (value === null || value === undefined || value === false) return;
      if (key === "class") node.className = value;
      else node.setAttribute(key, value === true ? "" : String(value));
    });
    for (var i = 2; i < arguments.length; i++) {
      [].concat(arguments[i]).forEach(function (child) {
        if (child === null || child === undefined || child === false) return;
        node.append(child instanceof Node ? child : String(child));
      });
    }
    return node;
  }

  var ENTITIES = { "&amp;": "&", "&lt;": "<", "&gt;": ">", "&quot;": "\"", "&#x27;": "'", "&#39;": "'" };
  function unescapeText(text) {
    return text.replace(/&(amp|lt|gt|quot|#x27|#39);/g, function (entity) { return ENTITIES[entity]; });
  }

  /* A search highlight: text between <em> marks in <mark>, the rest as text. */
  function marks(fragment) {
    var out = document.createDocumentFragment(), inside = false;
    fragment.split(/(<\/?em>)/).forEach(function (part) {
      if (part === "<em>" || part === "</em>") { inside = part === "<em>"; return; }
      if (!part) return;
      var text = unescapeText(part);
      out.append(inside ? el("mark", null, text) : text);
    });
    return out;
  }

  function plain(fragment) { return unescapeText(fragment.replace(/<\/?em>/g, "")); }

  function subjectHref(node) {
    var key = node.kind === "NATURAL_PERSON" ? node.id : node.code;
    return "/subjects/" + encodeURIComponent(key);
  }

  function flagChips(flags, limit) {
    limit = limit || 3;
    if (!flags.length) return el("p", { class: "none" }, "无正在实施的惩戒或激励措施");
    var items = flags.slice(0, limit).map(function (flag) {
      return el("li", { class: "chip flag-" + flag.kind.toLowerCase(), title: flag.kindLabel }, flag.name);
    });
    if (flags.length > limit) items.push(el("li", { class: "chip more" }, "等 " + flags.length + " 项措施"));
    return el("ul", { class: "chips flags", "aria-label": "当前措施" }, items);
  }

  function problemText(error) {
    if (error.code === "RATE_LIMITED") return "请求过于频繁，请稍后再试。";
    if (error.code === "SERVICE_UNAVAILABLE") return "查询服务暂不可用，请稍后再试。";
    if (error.code === "BAD_USER_INPUT") return "查询条件有误：" + error.message;
    return "暂时无法查询，请稍后再试。";
  }

  window.creditgraph = {
    data: data, query: query, subscribe: subscribe, el: el, marks: marks, plain: plain,
    subjectHref: subjectHref, flagChips: flagChips, problemText: problemText
  };
})();
