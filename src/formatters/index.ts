/** Output formats of `fwlint --format`: pure functions of the results. */
import { checkstyle } from "./checkstyle.js";
import { compact } from "./compact.js";
import { github } from "./github.js";
import { gitlab } from "./gitlab.js";
import { json } from "./json.js";
import { junit } from "./junit.js";
import { sarif } from "./sarif.js";
import { stylish } from "./stylish.js";
import type { Formatter } from "./types.js";

export const FORMAT_NAMES = ["stylish", "json", "sarif", "github", "compact", "gitlab", "checkstyle", "junit"] as const;
export type FormatName = (typeof FORMAT_NAMES)[number];

export const formatters: Readonly<Record<FormatName, Formatter>> = {
  stylish,
  json,
  sarif,
  github,
  compact,
  gitlab,
  checkstyle,
  junit,
};

export type { Formatter, FormatterContext, FormattedResult, ToolNotification } from "./types.js";
