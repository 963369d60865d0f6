/** XML text for the checkstyle and JUnit reports: escaping, and the characters XML 1.0 cannot hold. */

/** Characters XML 1.0 does not allow (C0 controls but tab, newline and carriage return; U+FFFE, U+FFFF; lone surrogates). */
const NOT_XML = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** Text for an attribute value or element content: the five markup characters escaped, others XML cannot hold dropped. */
export function xmlEscape(text: string): string {
  return text.replace(NOT_XML, "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;" })[c]!);
}

/** A CDATA section holding `text` (a "]]>" inside is split across two sections). */
export function cdata(text: string): string {
  return `<![CDATA[${text.replace(NOT_XML, "").replace(/]]>/g, "]]]]><![CDATA[>")}]]>`;
}
