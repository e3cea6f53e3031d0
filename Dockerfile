# syntax=docker/dockerfile:1
# Node 22 (maintenance LTS, supported until 2027-04-30): Node 20 reached its end of life on 2026-04-30 and gets no
# security fixes. The whole test suite passes on 20.20, 22.23 and 24.22. Node 24 waits for the heap flags below to
# be measured again for it: with them, its 1,000,000-row file sync peaked at 306-309 MB (Node 20: 238-240,
# Node 22: 251), over the 300 MB the sync must stay under.
# Build stage: full dependencies, compile TypeScript to dist/.
FROM node:22-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY jobs ./jobs
COPY connectors ./connectors
COPY migrations ./migrations
RUN npm run build

# Runtime stage: production dependencies only (no embedded PostgreSQL: set DATABASE_URL and REDIS_URL),
# non-root user, the gateway by default. `docker run … worker` or `… migrate` run the other entry points.
FROM node:22-bookworm-slim AS runtime
ENV NODE_ENV=production HOST=0.0.0.0 PORT=4000
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --omit=optional --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY bin ./bin
COPY schema ./schema
COPY connectors ./connectors
USER node
EXPOSE 4000
HEALTHCHECK --interval=30s --timeout=3s CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||4000)+'/healthz').then(r=>process.exit(r.ok?0:1)).catch(()=>process.exit(1))"
# The V8 heap is capped at 512 MB: below 1 GB V8 grows the heap to about twice the live data instead of four
# times, so a 1,000,000-row file sync peaks under 300 MB instead of 400-700 MB. The young generation gets
# semi-spaces of 32 MB (16 by default): a sync's batches then die young instead of being promoted and
# collected again by full collections. V8 rounds the size up to a power of two (24 gives 32; the 40 this
# line held until 2026-12-04 gave 64). Measured on the held bench database, alternating: 64 -> 32 MB took
# the sync's CPU per record from 32.8-33.5 to 31.2-31.3 µs for the 1M-row CSV, from 43.0-43.3 to 40.0-40.1
# µs over HTTP, left the unchanged re-ingest as it was (4.1-4.3 µs), and about 35-50 MB off every peak RSS
# (1M-row file 270 -> 235 MB); 16 MB costs 45-46 µs over HTTP.
# The old generation starts at 112 MB. Under the 512 MB cap V8 otherwise sets the next full collection a
# little above what the last one left alive, and a sync, whose records in flight outlive a few young
# collections and are promoted, ran one every 3,000-6,000 records: 175 full collections for the 1M-row
# file, 59 for a 200,000-record HTTP sync, each also unmapping pages that the next allocations fault in
# again. From 112 MB, with the 64 MB semi-spaces of the time: 95 and 14 (CPU per record in the sync
# process 37.4 -> 33.7 µs for the CSV, about 50 -> 40 µs over HTTP), for about 10 MB more peak RSS.
# Measured again with 32 MB semi-spaces: 185 -> 43 full collections for the 1M-row file (38.1 -> 30.7 µs
# per record, peak RSS 194 -> 237 MB), 76-78 -> 6-11 over HTTP (53-54 -> 37-40 µs); 160 MB would take
# another 5% off the CSV for 283 MB and 40% more page faults, and nothing off HTTP.
# The connectors bench runs with these same flags (bench/lib/build.ts reads them from here).
ENTRYPOINT ["node", "--max-old-space-size=512", "--initial-old-space-size=112", "--max-semi-space-size=32", "bin/childhub.js"]
CMD ["serve"]
