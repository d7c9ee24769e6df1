// The API reference at /docs: Swagger UI on the hub's own schema. In a file rather than inline in docs.html, because
// the hub's Content-Security-Policy runs no inline script (FastAPI's default page does, and loads Swagger UI from a CDN).
"use strict";

window.ui = SwaggerUIBundle({
  url: "/openapi.json",
  dom_id: "#swagger-ui",
  presets: [SwaggerUIBundle.presets.apis],
  layout: "BaseLayout",
  deepLinking: true,
  showExtensions: true,
  showCommonExtensions: true,
  validatorUrl: null, // never send the schema to an outside validator
});
