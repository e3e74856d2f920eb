/* The API console's headings go from its title (h1) to each group (h3): add the missing
   level, hidden, so that the page's outline has no gap. */
(function () {
  "use strict";
  function addLevel() {
    var first = document.querySelector(".swagger-ui .opblock-tag-section");
    if (!first || document.getElementById("operations-heading")) { return !!first; }
    var heading = document.createElement("h2");
    heading.id = "operations-heading";
    heading.className = "visually-hidden";
    heading.textContent = document.body.dataset.operationsLabel || "Operations";
    first.parentNode.insertBefore(heading, first);
    return true;
  }
  var observer = new MutationObserver(function () { if (addLevel()) { observer.disconnect(); } });
  observer.observe(document.getElementById("swagger-ui"), { childList: true, subtree: true });
})();
