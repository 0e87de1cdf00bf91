// node:https: node:http's client (http.js) with https: URLs and port 443.
const module = nodeGroup('http').https;
