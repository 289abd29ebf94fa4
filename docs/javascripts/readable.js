// Fixes for what Material renders in the browser: names for screen readers, and a copy
// button that copies the file exactly as it is. tools/sitecheck.py checks both.

// Names for what has none: a note marker is a link with nothing to read out, and
// the search box opens as a dialog without a name. And a table wider than the
// screen scrolls sideways: it must take the keyboard's focus to scroll without a mouse.
function nameElements(root) {
  for (const table of root.querySelectorAll(".md-typeset__scrollwrap:not([tabindex])")) {
    table.setAttribute("tabindex", "0");
  }
  for (const link of root.querySelectorAll(".md-annotation__index:not([aria-label])")) {
    const number = link.querySelector("[data-md-annotation-id]")?.dataset.mdAnnotationId;
    link.setAttribute("aria-label", number ? `Note ${number}` : "Note");
  }
  for (const dialog of root.querySelectorAll(".md-search[role=dialog]:not([aria-label])")) {
    dialog.setAttribute("aria-label", "Search");
  }
}

// Material mounts the markers once the page has loaded, and again when it redraws:
// name what it adds, as it adds it.
nameElements(document);
new MutationObserver((records) => {
  for (const record of records) {
    for (const node of record.addedNodes) {
      if (node.nodeType === Node.ELEMENT_NODE) nameElements(node.parentElement ?? node);
    }
  }
}).observe(document.documentElement, { childList: true, subtree: true });

// The text of a code block as the file has it. Material copies what the block shows
// with its trailing whitespace trimmed: that drops the file's final newline, and
// keeps the spaces that stood before each note marker (the marker itself is hidden).
// The docs hook puts a marker at the end of a line, after the line's own text with
// its trailing whitespace removed, or after its indentation; so taking out each
// marker, and the spaces before it at the end of a line, gives the line back.
const MARKER = "\u0000";

function fileText(code) {
  const copy = code.cloneNode(true);
  copy.querySelectorAll(".md-annotation").forEach((marker) => marker.replaceWith(MARKER));
  return copy.textContent
    .replace(new RegExp(`[ \\t]*${MARKER}(?=\\n|$)`, "g"), "")
    .replaceAll(MARKER, "");
}

// Material's clipboard copies a button's data-clipboard-text when it has one: set it
// just before the click reaches the clipboard's own handler.
document.addEventListener(
  "click",
  (event) => {
    const button = event.target.closest?.("[data-md-type=copy][data-clipboard-target]");
    const code = button && document.querySelector(button.dataset.clipboardTarget);
    if (code) button.dataset.clipboardText = fileText(code);
  },
  true,
);
