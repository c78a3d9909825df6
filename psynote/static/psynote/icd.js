// ICD-10-CM suggestions for the diagnosis input: fills the <datalist> from /icd10/?q=.
// Without JavaScript the input still takes a typed code, checked on the server.
document.addEventListener("DOMContentLoaded", () => {
  const list = document.getElementById("icd-options");
  if (!list) return;
  document.querySelectorAll("input[data-icd-search]").forEach((input) => {
    let timer = null;
    let last = "";
    const fill = async () => {
      const term = input.value.trim();
      if (term.length < 2 || term === last) return;
      last = term;
      try {
        const url = `${list.dataset.searchUrl}?q=${encodeURIComponent(term)}`;
        const response = await fetch(url, { credentials: "same-origin" });
        if (!response.ok) return;
        const hits = await response.json();
        list.replaceChildren(...hits.map((hit) => {
          const option = document.createElement("option");
          option.value = hit.code;
          option.label = `${hit.code} ${hit.description}`;
          option.textContent = `${hit.code} ${hit.description}`;
          return option;
        }));
      } catch (e) {
        // Offline or logged out: the field still accepts a typed code.
      }
    };
    input.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(fill, 200); });
  });
});
