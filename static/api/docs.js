// Starts Swagger UI on the API documentation page (templates/api/docs.html). A static file,
// not an inline script, so the page works under a strict Content-Security-Policy.
"use strict";
(function () {
  var node = document.getElementById("swagger-ui");
  if (!node || typeof SwaggerUIBundle === "undefined") {
    return;
  }
  var csrfToken = node.dataset.csrfToken;
  window.ui = SwaggerUIBundle({
    url: node.dataset.schemaUrl,
    dom_id: "#swagger-ui",
    deepLinking: true,
    persistAuthorization: false,
    // The session cookie authenticates "Try it out"; writes need the CSRF token with it.
    requestInterceptor: function (request) {
      request.credentials = "same-origin";
      if (request.method && request.method.toUpperCase() !== "GET" && csrfToken) {
        request.headers["X-CSRFToken"] = csrfToken;
      }
      return request;
    },
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
  });
})();
