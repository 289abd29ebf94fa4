// The Copy button next to the invite link. Without JavaScript it stays hidden,
// and the link is still there to select and copy by hand.
const inviteLink = document.getElementById("invite-link");
const copyButton = document.getElementById("copy-invite");
const copyStatus = document.getElementById("copy-status");

copyButton.hidden = false;
copyButton.addEventListener("click", async () => {
  try {
    await navigator.clipboard.writeText(inviteLink.value);
    copyStatus.textContent = "Copied";
  } catch {
    // No clipboard (a plain-http address) or no permission: select it for Ctrl+C.
    inviteLink.select();
    copyStatus.textContent = "Could not copy: the link is selected, press Ctrl+C";
  }
});
