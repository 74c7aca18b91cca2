// The live board polls only while nobody is typing a resolution note, and sends the fingerprint of
// what it shows so the server can answer 204 (nothing new) instead of redrawing.
function boardIdle() {
  var board = document.getElementById("alert-board");
  if (!board) return false;
  var active = document.activeElement;
  if (active && board.contains(active) && active.tagName === "INPUT") return false;
  var notes = board.querySelectorAll("input[name=note]");
  for (var i = 0; i < notes.length; i++) { if (notes[i].value.trim()) return false; }
  return true;
}
function boardVersion() {
  var el = document.getElementById("board-version");
  return el ? el.dataset.v : "";
}
