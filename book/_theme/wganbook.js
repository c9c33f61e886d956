// The web book's own script, added to every page through html_js_files in _config.yml.
//
// The sidebar buttons in the article header (navigation on the left, "On this page" on the right) do
// nothing by themselves: the theme binds its handlers to the first .primary-toggle and .secondary-toggle
// of the page only, which are hidden ones in the top bar. So on a phone the navigation could not be
// opened. Each visible button passes its clicks on to the bound one. tests/test_browser.py checks it.
document.addEventListener("DOMContentLoaded", () => {
  for (const selector of [".primary-toggle", ".secondary-toggle"]) {
    const bound = document.querySelector(selector);
    document.querySelectorAll(selector).forEach((button) => {
      if (button !== bound) {
        button.addEventListener("click", (event) => {
          event.preventDefault();
          event.stopPropagation();
          bound.click();
        });
      }
    });
  }
});
