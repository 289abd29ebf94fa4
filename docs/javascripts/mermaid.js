// The diagram renderer, vendored from npm. Material draws the diagrams with the
// global `mermaid` it finds on the page instead of fetching one from a CDN, so they
// render offline too (conference wifi). This classic script defines that global at
// once, whenever Material looks for it; the renderer itself, an ES module that loads
// only the parts the page's diagrams need, arrives in the background. The docs hook
// adds this script only to pages that have a diagram.
(() => {
  const module = new URL(
    "../assets/vendor/mermaid-11.17.2/mermaid.esm.min.mjs",
    document.currentScript.src,
  );
  const renderer = import(module).then((loaded) => loaded.default);
  window.mermaid = {
    initialize: (config) => renderer.then((mermaid) => mermaid.initialize(config)),
    render: (...args) => renderer.then((mermaid) => mermaid.render(...args)),
  };
})();
