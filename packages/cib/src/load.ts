import { readFileSync, statSync } from "node:fs";
import { HacrmError } from "@hacrm/common";
import { defaultParseLimits, type ParseLimits } from "./xml.js";
import { validateCibText, type TextValidation, type ValidateOptions } from "./validate.js";

/**
 * Read and validate a CIB file. A missing or unreadable file is a HacrmError
 * (CIB_FILE); a file over the size limit is reported as a TOO_LARGE problem
 * without being read.
 */
export function validateCibFile(
  path: string,
  opts: ValidateOptions & { limits?: ParseLimits } = {},
): TextValidation {
  const charsMax = opts.limits?.textCharsMax ?? defaultParseLimits.textCharsMax;
  let size: number;
  try {
    size = statSync(path).size;
  } catch (err) {
    throw new HacrmError(
      {
        code: "CIB_FILE",
        where: path,
        message: `cannot read the CIB file: ${(err as Error).message}`,
        hint: "check the path",
      },
      { cause: err },
    );
  }
  // A file's characters never outnumber its bytes: this refuses nothing the
  // parser would accept for ASCII documents, and reads nothing too big.
  if (size > charsMax) {
    const what = `file is ${size} bytes, over the limit of ${charsMax} characters`;
    return {
      problems: [
        { code: "TOO_LARGE", element: "document", where: path, what, why: "refused before reading" },
      ],
    };
  }
  return validateCibText(readFileSync(path, "utf8"), path, opts);
}
