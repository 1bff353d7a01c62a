FROM node:22-slim
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts && npm install --no-save tsx@4.23.15
COPY . .
ENV NODE_OPTIONS=--disable-warning=ExperimentalWarning
# glibc hands freed upload buffers back to the OS at once (see dev/measured-gateway.ts).
ENV MALLOC_MMAP_THRESHOLD_=131072
EXPOSE 4000
CMD ["npx", "tsx", "src/main.ts", "--host", "0.0.0.0", "--config", "/app/config.yaml"]
