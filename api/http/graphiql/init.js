// Boot code from strawberry's static/graphiql.html, moved out of line (CSP script-src 'self' works),
// js-cookie dropped (only used for Django's csrftoken), endpoint fixed to /graphql.
(function () {
  "use strict";
  var EXAMPLE_QUERY = "# creditgraph: the public credit-information API. Docs: the book icon on the left.\n" +
    "# Run: Ctrl-Enter   Complete: Ctrl-Space   A key: Headers {\"Authorization\": \"Bearer <key>\"}\n\n" +
    "{\n  regions(query: \"常州\") { code name prefix }\n}\n";

  var parameters = {};
  window.location.search.slice(1).split("&").forEach(function (entry) {
    var eq = entry.indexOf("=");
    if (eq >= 0) parameters[decodeURIComponent(entry.slice(0, eq))] = decodeURIComponent(entry.slice(eq + 1));
  });
  function updateURL(data) {
    Object.assign(parameters, data);
    var search = "?" + Object.keys(parameters).filter(function (k) { return Boolean(parameters[k]); })
      .map(function (k) { return encodeURIComponent(k) + "=" + encodeURIComponent(parameters[k]); }).join("&");
    history.replaceState(null, null, search);
  }

  var endpoint = document.getElementById("graphiql").dataset.endpoint || "/graphql";
  var fetchURL = new URL(endpoint, window.location.href);
  var wsURL = new URL(fetchURL.href);
  wsURL.protocol = fetchURL.protocol === "https:" ? "wss:" : "ws:";

  var headers = {};
  var csrf = document.cookie.split("; ").find(function (c) { return c.indexOf("csrftoken=") === 0; });
  if (csrf) headers["x-csrftoken"] = decodeURIComponent(csrf.slice("csrftoken=".length));

  var fetcher = GraphiQL.createFetcher({ url: fetchURL.href, headers: headers, subscriptionUrl: wsURL.href });
  var explorerPlugin = GraphiQLPluginExplorer.explorerPlugin();

  function App() {
    var q = React.useState(parameters.q || EXAMPLE_QUERY);
    var v = React.useState(parameters.variables);
    var h = React.useState(parameters.headers);
    return React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultEditorToolsVisibility: true,
      plugins: [explorerPlugin],
      query: q[0], variables: v[0], headers: h[0],
      onEditQuery: function (x) { q[1](x); updateURL({ q: x }); },
      onEditVariables: function (x) { v[1](x); updateURL({ variables: x }); },
      onEditHeaders: function (x) { h[1](x); },
      inputValueDeprecation: true,
      isHeadersEditorEnabled: true,
      shouldPersistHeaders: true,
    });
  }
  ReactDOM.createRoot(document.getElementById("graphiql")).render(React.createElement(App));
})();
