export * from "./xml.js";
