// Backchat's websocket client: JSON in, JSON out, and the DOM built with textContent
// only, so no message can ever inject HTML.
const form = document.getElementById("composer")
const messages = document.getElementById("messages")
const presence = document.getElementById("presence")
const status = document.getElementById("status")
const error = document.getElementById("chat-error")

const scheme = location.protocol === "https:" ? "wss" : "ws"
const socket = new WebSocket(`${scheme}://${location.host}${form.dataset.socketPath}`)

socket.addEventListener("open", () => {
  status.textContent = "connected"
})

socket.addEventListener("close", (event) => {
  status.textContent = `disconnected (code ${event.code}): reload the page`
})

socket.addEventListener("message", (event) => {
  const data = JSON.parse(event.data)
  if (data.kind === "message") {
    showMessage(data.message)
  } else if (data.kind === "presence") {
    showPresence(data.users)
  } else if (data.kind === "error") {
    error.textContent = data.error
  }
})

form.addEventListener("submit", (event) => {
  event.preventDefault()
  socket.send(JSON.stringify({ kind: "message", body: form.elements.body.value }))
  form.reset()
  error.textContent = ""
})

// The same markup as templates/chat/_message.html, written a second time in JS.
function showMessage(message) {
  const article = document.createElement("article")
  article.className = "message"
  article.id = `message-${message.id}`
  article.dataset.id = message.id
  const author = document.createElement("strong")
  author.className = "author"
  author.textContent = message.author
  const time = document.createElement("time")
  time.dateTime = new Date(message.created_at).toISOString()  // milliseconds, as HTML allows
  time.textContent = time.dateTime.slice(11, 16)
  const body = document.createElement("p")
  body.textContent = message.body
  article.append(author, " ", time, body)
  messages.append(article)
}

function showPresence(users) {
  presence.replaceChildren(
    ...users.map((user) => {
      const item = document.createElement("li")
      item.textContent = user
      return item
    }),
  )
}
