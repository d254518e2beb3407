// A button marked data-print prints the page; kept out of the template so no inline script is needed.
document.addEventListener("click", (event) => {
  if (event.target.closest("[data-print]")) {
    window.print();
  }
});
