// Strict XML for PSKC: a well-formedness check, no DOCTYPE (so no entity definitions and no
// expansion beyond the five predefined ones), size caps, and namespaces resolved so that
// elements are matched by (namespace URI, local name), never by the prefix a file happens to use.
// Parser: fast-xml-parser (pure JS, no native code, no network or file access, maintained, and
// its validator reports line and column). Anything wrong becomes SeglError PSKC_MALFORMED.
import { XMLParser, XMLValidator } from "fast-xml-parser";
import { SeglError } from "../errors.js";

export interface XmlElement {
  readonly ns: string;
  readonly name: string;
  readonly attrs: Readonly<Record<string, string>>;
  readonly children: readonly XmlElement[];
  /** Concatenated text content directly inside this element, trimmed. */
  readonly text: string;
}

export interface XmlLimits {
  /** Largest document accepted, in bytes (UTF-8). */
  readonly maxBytes: number;
  /** Deepest element nesting accepted. */
  readonly maxDepth: number;
  /** Most elements accepted in one document. */
  readonly maxElements: number;
}

export function malformed(message: string, details: Record<string, unknown> = {}): SeglError {
  return new SeglError("PSKC_MALFORMED", message, { details });
}

type Raw = Record<string, unknown>;

const XMLNS = "http://www.w3.org/2000/xmlns/";
const XML_NS = "http://www.w3.org/XML/1998/namespace";

/** Parses `input` into a namespace-resolved element tree; throws PSKC_MALFORMED. */
export function parseXml(input: string | Uint8Array, limits: XmlLimits): XmlElement {
  let text: string;
  if (typeof input === "string") {
    if (Buffer.byteLength(input, "utf8") > limits.maxBytes) throw malformed(`document larger than ${limits.maxBytes} bytes`, { maxBytes: limits.maxBytes });
    text = input;
  } else if (input instanceof Uint8Array) {
    if (input.length > limits.maxBytes) throw malformed(`document larger than ${limits.maxBytes} bytes`, { maxBytes: limits.maxBytes });
    try {
      text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(input);
    } catch {
      throw malformed("document is not valid UTF-8");
    }
  } else {
    throw new SeglError("INVALID_ARGUMENT", "a PSKC document is a string or bytes", { details: { field: "input" } });
  }
  if (/<!DOCTYPE|<!ENTITY/i.test(text)) throw malformed("DOCTYPE and entity declarations are refused (no entity expansion)");
  const ref = /&(?!(?:amp|lt|gt|quot|apos|#[0-9]{1,7}|#x[0-9a-fA-F]{1,6});)/.exec(text);
  if (ref) throw malformed(`an undefined entity or a bare '&' at offset ${ref.index}`, { offset: ref.index });
  const decl = /^\s*<\?xml[^>]*encoding\s*=\s*["']([^"']+)["']/.exec(text);
  if (decl && !/^utf-?8$/i.test(decl[1] ?? "")) throw malformed(`only UTF-8 documents are accepted, not ${decl[1]}`);
  const valid = XMLValidator.validate(text, { allowBooleanAttributes: false });
  if (valid !== true) {
    throw malformed(`not well-formed XML: ${valid.err.msg} (line ${valid.err.line}, column ${valid.err.col})`, { line: valid.err.line, column: valid.err.col });
  }
  let raw: unknown[];
  try {
    const parser = new XMLParser({
      preserveOrder: true, ignoreAttributes: false, attributeNamePrefix: "", removeNSPrefix: false,
      parseTagValue: false, parseAttributeValue: false, trimValues: true, processEntities: true,
      // htmlEntities decodes numeric references (&#65;); named ones beyond the five XML ones were refused above.
      ignoreDeclaration: true, ignorePiTags: true, commentPropName: false, htmlEntities: true,
    });
    raw = parser.parse(text) as unknown[];
  } catch (e) {
    throw malformed(`not well-formed XML: ${e instanceof Error ? e.message : String(e)}`);
  }
  const roots = raw.filter((n): n is Raw => typeof n === "object" && n !== null && !("#text" in n));
  if (roots.length !== 1) throw malformed("a document has exactly one root element");
  let count = 0;
  const convert = (node: Raw, scope: ReadonlyMap<string, string>, depth: number): XmlElement => {
    if (++count > limits.maxElements) throw malformed(`more than ${limits.maxElements} elements`, { maxElements: limits.maxElements });
    if (depth > limits.maxDepth) throw malformed(`elements nested deeper than ${limits.maxDepth}`, { maxDepth: limits.maxDepth });
    const qname = Object.keys(node).find((k) => k !== ":@");
    if (qname === undefined) throw malformed("an element without a name");
    const rawAttrs = (node[":@"] ?? {}) as Record<string, unknown>;
    const local = new Map(scope);
    const attrs: Record<string, string> = {};
    for (const [k, v] of Object.entries(rawAttrs)) {
      const value = String(v);
      if (k === "xmlns") local.set("", value);
      else if (k.startsWith("xmlns:")) local.set(k.slice(6), value);
    }
    for (const [k, v] of Object.entries(rawAttrs)) {
      if (k === "xmlns" || k.startsWith("xmlns:")) continue;
      const i = k.indexOf(":");
      // Attributes without a prefix have no namespace; PSKC's attributes (Id, Algorithm, Length…) are such.
      if (i >= 0 && !local.has(k.slice(0, i)) && k.slice(0, i) !== "xml") throw malformed(`undeclared namespace prefix in attribute ${k}`);
      attrs[i >= 0 ? k.slice(i + 1) : k] = String(v);
    }
    const i = qname.indexOf(":");
    const prefix = i >= 0 ? qname.slice(0, i) : "";
    const name = i >= 0 ? qname.slice(i + 1) : qname;
    const ns = prefix === "xml" ? XML_NS : local.get(prefix);
    if (ns === undefined) {
      if (prefix !== "") throw malformed(`undeclared namespace prefix in <${qname}>`);
    }
    if (ns === XMLNS) throw malformed(`reserved namespace in <${qname}>`);
    const children: XmlElement[] = [];
    let textContent = "";
    const kids = node[qname];
    if (Array.isArray(kids)) {
      for (const k of kids as Raw[]) {
        if ("#text" in k) textContent += String(k["#text"]);
        else children.push(convert(k, local, depth + 1));
      }
    }
    return { ns: ns ?? "", name, attrs, children, text: textContent.trim() };
  };
  return convert(roots[0] as Raw, new Map(), 1);
}

/** The child elements of `el` named (ns, name). */
export function childrenOf(el: XmlElement, ns: string | null, name: string): XmlElement[] {
  return el.children.filter((c) => c.name === name && (ns === null || c.ns === ns));
}

/** The one child named (ns, name), undefined if absent; PSKC_MALFORMED if it occurs twice. */
export function childOf(el: XmlElement, ns: string | null, name: string): XmlElement | undefined {
  const found = childrenOf(el, ns, name);
  if (found.length > 1) throw malformed(`<${el.name}> has ${found.length} <${name}> elements, at most one allowed`);
  return found[0];
}

/** Escapes text for an XML element or a double-quoted attribute. */
export function esc(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}
