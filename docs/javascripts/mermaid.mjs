// The diagram renderer, vendored from npm. Material draws the diagrams with the
// `mermaid` it finds on the page instead of fetching one from a CDN, so they render
// offline too (conference wifi). The docs hook adds this script only to pages that
// have a diagram, and this build loads only the parts that their diagrams need.
import mermaid from "../assets/vendor/mermaid-11.17.2/mermaid.esm.min.mjs";

window.mermaid = mermaid;
