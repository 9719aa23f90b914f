// Swagger UI's "Try it out", as a reader of /docs would use it: in headless Chromium, open
// GET /api/v1/articles/{slug}, press "Try it out", type a published article's slug, press
// "Execute", and check that the response shown is 200 with that article's title. Saves a
// screenshot of the operation with its response.
//
//   HEADLINE_URL=http://127.0.0.1:8080 node try-it-out.mjs [screenshot.png]
//
// Chromium comes from Debian's package (/usr/bin/chromium, or CHROMIUM=…); playwright-core
// drives it and downloads no browser of its own.
import { chromium } from "playwright-core";

const base = process.env.HEADLINE_URL ?? "http://127.0.0.1:8080";
const screenshot = process.argv[2] ?? "try-it-out.png";

const listing = await (await fetch(`${base}/api/v1/articles?limit=1`)).json();
const article = listing.data[0];
if (!article) throw new Error("no published article to try");

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  // No sandbox as root in CI; no background traffic on a machine without a network.
  args: [
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
  ],
});
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 1400 } });
  await page.goto(`${base}/docs/`);
  const op = page.locator(".opblock-get", {
    has: page.locator('[data-path="/api/v1/articles/{slug}"]'),
  });
  await op.locator(".opblock-summary").first().click();
  await op.getByRole("button", { name: "Try it out" }).click();
  await op.locator('tr[data-param-name="slug"] input').fill(article.slug);
  await op.getByRole("button", { name: "Execute" }).click();
  // The response the server sent (the table's body row; its head reads "Code").
  const live = op.locator(".live-responses-table tbody .response");
  await live.waitFor();
  const status = (await live.locator(".response-col_status").innerText()).trim();
  const body = await live.locator(".response-col_description pre").first().innerText();
  // The operation from its summary to the end of the live response (the documented
  // responses below it are the same on every run).
  const top = await op.boundingBox();
  const end = await op.locator(".live-responses-table").boundingBox();
  if (top && end) {
    await page.screenshot({
      path: screenshot,
      fullPage: true,
      clip: { x: top.x, y: top.y, width: top.width, height: end.y + end.height - top.y + 8 },
    });
  }
  if (status !== "200" || !body.includes(article.title)) {
    throw new Error(`Try it out answered ${status}: ${body.slice(0, 300)}`);
  }
  console.log(`Try it out: GET /api/v1/articles/${article.slug} → 200 "${article.title}" (${screenshot})`);
} finally {
  await browser.close();
}
