// ovaregen clinic: small progressive enhancements; every page works without this file.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  const back = document.getElementById("back");
  if (back) back.addEventListener("click", (e) => { e.preventDefault(); history.back(); });
});
