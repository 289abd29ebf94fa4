// Backchat's websocket client: JSON in, JSON out, and the DOM built with textContent
// only, so no message can ever inject HTML.
const form = document.getElementById("composer")
const messages = document.getElementById("messages")
const presence = document.getElementById("presence")
const status = document.getElementById("status")
const error = document.getElementById("chat-error")

// Why the server closed the socket, and what to do about it.
const CLOSE_REASONS = {
  4401: "You are logged out.",
  4403: "You were removed from this room.",
  4404: "No such room, or you are not a member.",
  4429: "You sent too many messages.",
  4503: "You have too many tabs open: close some.",
}

// Each message sent and not yet answered: the server answers "sent" once it is saved,
// or with an error. Whatever is never answered goes back into the input.
const pending = []

const scheme = location.protocol === "https:" ? "wss" : "ws"
const socket = new WebSocket(`${scheme}://${location.host}${form.dataset.socketPath}`)

socket.addEventListener("open", () => {
  status.textContent = "connected"
})

socket.addEventListener("close", (event) => {
  status.textContent = "disconnected"
  presence.replaceChildren() // nobody is known to be here any more
  error.replaceChildren(`${CLOSE_REASONS[event.code] ?? "The connection was lost."} `)
  if (event.code === 4401) {
    const logIn = document.createElement("a")
    logIn.href = form.dataset.loginUrl
    logIn.textContent = "Log in again"
    error.append(logIn, ".")
  } else {
    error.append("Reload the page to chat again.")
  }
  if (putBack(pending.splice(0))) error.append(" Your unsent message is back in the box.")
})

socket.addEventListener("message", (event) => {
  const data = JSON.parse(event.data)
  if (data.kind === "message") {
    showMessage(data.message)
  } else if (data.kind === "presence") {
    showPresence(data.users)
  } else if (data.kind === "sent") {
    pending.shift()
  } else if (data.kind === "error") {
    error.textContent = data.error
    putBack([pending.shift()])
  }
})

form.addEventListener("submit", (event) => {
  event.preventDefault()
  const body = form.elements.body.value
  socket.send(JSON.stringify({ kind: "message", body }))
  pending.push(body)
  form.reset()
  error.textContent = ""
})

// Put texts that were not sent back into the input, before anything typed since.
function putBack(texts) {
  const lost = texts.filter(Boolean)
  const input = form.elements.body
  if (lost.length > 0) input.value = [...lost, input.value].filter(Boolean).join(" ")
  return lost.length > 0
}

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
