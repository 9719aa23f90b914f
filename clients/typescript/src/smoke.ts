// Drives a live Headline through the generated client, as an integrator's code would:
//   HEADLINE_URL=http://127.0.0.1:8080 HEADLINE_EMAIL=… HEADLINE_PASSWORD=… npm run smoke
// Every call is typed from openapi/openapi.json (src/schema.d.ts); a field the server does not
// send, or a parameter it does not take, fails `tsc --strict` before anything runs.
import createClient from "openapi-fetch";
import type { paths } from "./schema.js";

const baseUrl = process.env.HEADLINE_URL ?? "http://127.0.0.1:8080";
const email = process.env.HEADLINE_EMAIL;
const password = process.env.HEADLINE_PASSWORD;
if (!email || !password) {
  throw new Error("set HEADLINE_EMAIL and HEADLINE_PASSWORD to an editor's or admin's login");
}

const api = createClient<paths>({ baseUrl });

function check(condition: unknown, what: string): asserts condition {
  if (!condition) throw new Error(`smoke: ${what}`);
  console.log(`ok - ${what}`);
}

// Content API: the newest articles with their bylines and topics, then one by slug.
const list = await api.GET("/api/v1/articles", {
  params: { query: { limit: 5, include: "authors,topics" } },
});
check(list.response.status === 200 && list.data, "GET /api/v1/articles answers 200");
const first = list.data.data[0];
check(first !== undefined, "the newest page lists an article");
check(Array.isArray(first.authors), "include=authors embeds bylines");
// Listing fields are optional in the schema: `fields=` can leave any of them out.
const newest = first.slug;
check(typeof newest === "string", "a listed article has its slug");

const article = await api.GET("/api/v1/articles/{slug}", {
  params: { path: { slug: newest } },
});
check(article.data?.data.slug === newest, `GET /api/v1/articles/${newest} reads it`);

// Admin API: log in, draft, publish, and read the article back from the Content API.
const login = await api.POST("/api/v1/auth/login", { body: { email, password } });
check(login.data?.access_token, "POST /api/v1/auth/login returns an access token");
const headers = { Authorization: `Bearer ${login.data.access_token}` };

const title = `Smoke test ${new Date().toISOString()}`;
const draft = await api.POST("/api/v1/admin/articles", {
  headers,
  body: { title, body_markdown: "Written by the **TypeScript** smoke test." },
});
check(draft.response.status === 201 && draft.data, "POST /api/v1/admin/articles creates a draft");
const { id, slug, version } = draft.data.data;
check(draft.data.data.status === "draft", "a new article is a draft");

const hidden = await api.GET("/api/v1/articles/{slug}", { params: { path: { slug } } });
check(hidden.response.status === 404, "the Content API does not show the draft");

const published = await api.POST("/api/v1/admin/articles/{id}/publish", {
  headers,
  params: { path: { id }, header: { "If-Match": `"v${version}"` } },
  body: {},
});
check(published.data?.data.status === "published", "POST …/publish publishes it");

const read = await api.GET("/api/v1/articles/{slug}", { params: { path: { slug } } });
check(read.data?.data.title === title, "the Content API serves the published article");
check(read.data.data.body_html.includes("<strong>TypeScript</strong>"), "its body is rendered");

const removed = await api.DELETE("/api/v1/admin/articles/{id}", {
  headers,
  params: { path: { id }, header: { "If-Match": "*" } },
});
check(removed.response.status === 204, "DELETE removes it again");
