// A table that sorts only by some columns (a big archive's posts table: SORTABLE_POSTS) gives the
// others a heading with no link, and Datasette's table.js gives a column its ⚙ menu (hide it,
// facet by it, show its description, not-blank rows) only when its heading holds a link. Such a
// heading gets a placeholder anchor (no href: not a link, not in the tab order), so its menu is
// there, and the menu's sort items are hidden for it: the server refuses that sort (400).
// A module: it runs after parsing, before table.js (deferred, later in the document).
for (const th of document.querySelectorAll(".rows-and-columns th[data-column]")) {
  if (!th.querySelector("a")) {
    const name = document.createElement("a");
    name.className = "wxa-unsortable";
    name.textContent = th.textContent.trim();
    th.replaceChildren(name);
  }
}
// table.js's handler on the icon stops the click there and shows every item of the menu:
// marked here first (capture), the stylesheet hides the marked menu's sort items.
document.addEventListener("click", (event) => {
  const icon = event.target.closest ? event.target.closest(".dropdown-menu-icon") : null;
  const th = icon ? icon.closest(".rows-and-columns th") : null;
  const sort = document.querySelector(".dropdown-menu .dropdown-sort-asc");  // table.js's menu
  const menu = sort ? sort.closest(".dropdown-menu") : null;
  if (!th || !menu) return;
  menu.toggleAttribute("data-wxa-unsortable", !!th.querySelector("a.wxa-unsortable"));
}, true);
