// What tools/sitecheck.py measures in each page: added to every page before its own
// scripts run, then called through `window.sitecheck`. Python judges the numbers.

// Material renders each diagram into a closed shadow root: open ones can be measured.
const attachShadow = Element.prototype.attachShadow;
Element.prototype.attachShadow = function (init) {
  return attachShadow.call(this, { ...init, mode: "open" });
};

// Where an element is, for the report: the text of the heading above it.
function heading(element) {
  for (let node = element; node; node = node.previousElementSibling || node.parentElement) {
    if (/^H[1-6]$/.test(node.tagName)) return node.textContent.replace("¶", "").trim();
  }
  return "";
}

// The nearest ancestor that scrolls sideways: the visible box of a code block.
function scrollingBox(element) {
  let box = element.parentElement;
  while (box.parentElement && !["auto", "scroll"].includes(getComputedStyle(box).overflowX)) {
    box = box.parentElement;
  }
  return box;
}

function hasText(node) {
  return [...node.childNodes].some(
    (child) => child.nodeType === Node.TEXT_NODE && child.textContent.trim(),
  );
}

window.sitecheck = {
  // How far the page reaches past the right edge of the window, in px.
  overflow() {
    return document.documentElement.scrollWidth - window.innerWidth;
  },

  diagramsRendered() {
    return [...document.querySelectorAll(".mermaid")].every(
      (host) => host.shadowRoot?.querySelector("svg"),
    );
  },

  // Open every collapsed block and show every tab, so that all of it can be measured.
  showEverything() {
    document.querySelectorAll("details").forEach((details) => (details.open = true));
    const style = document.createElement("style");
    style.textContent = ".tabbed-content > .tabbed-block { display: block !important; }";
    document.head.append(style);
  },

  markers() {
    return [...document.querySelectorAll(".md-annotation")].map((marker) => {
      const box = scrollingBox(marker);
      const outer = box.getBoundingClientRect();
      const circle = (marker.querySelector(".md-annotation__index") || marker)
        .getBoundingClientRect();
      return {
        number: marker.querySelector("[data-md-annotation-id]")?.dataset.mdAnnotationId ?? "?",
        title: marker.closest(".highlight")?.querySelector(".filename")?.textContent.trim(),
        heading: heading(marker),
        left: circle.left,
        right: circle.right,
        boxLeft: outer.left + box.clientLeft,
        boxRight: outer.left + box.clientLeft + box.clientWidth,
      };
    });
  },

  diagrams() {
    return [...document.querySelectorAll(".mermaid")].map((host) => {
      const svg = host.shadowRoot?.querySelector("svg");
      if (!svg) return { heading: heading(host), rendered: false };
      const texts = [...svg.querySelectorAll("*")].filter(
        (node) => !["style", "title", "desc"].includes(node.localName) && hasText(node),
      );
      const sizes = texts.map((node) => parseFloat(getComputedStyle(node).fontSize));
      const shownWidth = svg.getBoundingClientRect().width;
      return {
        heading: heading(host),
        rendered: true,
        kind: svg.getAttribute("aria-roledescription") || "diagram",
        fontPx: sizes.length ? Math.min(...sizes) : null,
        shownWidth,
        naturalWidth: svg.viewBox.baseVal?.width || shownWidth,
      };
    });
  },
};
