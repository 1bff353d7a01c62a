# sluice: `docker build -t sluice .` then see docker-compose.yml (PostgreSQL) for a full setup.

# Stage 1: runtime dependencies only (tsx, which runs the TypeScript, is one of them); no devDependencies, no
# install scripts, and no npm cache left behind for the final image.
FROM node:22-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts

# Stage 2: the server. Only node_modules comes over from the install stage.
FROM node:22-slim
WORKDIR /app
ENV NODE_ENV=production
# glibc hands freed upload buffers back to the OS at once, but keeps the heap's top (see dev/measured-gateway.ts).
ENV MALLOC_MMAP_THRESHOLD_=131072
ENV MALLOC_TRIM_THRESHOLD_=67108864
COPY --from=deps /app/node_modules ./node_modules
COPY . .
EXPOSE 4000 50051
# The embedded SQLite default (./data) must be writable by the unprivileged user the server runs as.
RUN mkdir -p /app/data && chown node:node /app/data
USER node
# node itself is PID 1 (no npx/npm in between), so `docker stop`'s SIGTERM reaches the server and it drains.
# --experimental-async-context-frame: AsyncLocalStorage without promise hooks on every promise (see package.json start).
CMD ["node", "--experimental-async-context-frame", "--disable-warning=ExperimentalWarning", "--import", "tsx", "src/main.ts", "--host", "0.0.0.0", "--config", "/app/config.yaml"]
