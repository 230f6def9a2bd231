FROM python:3.12-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY api api
COPY credit credit
COPY creditgraph creditgraph
COPY indexers indexers
COPY search_config search_config
RUN pip install --no-cache-dir .
EXPOSE 8000
CMD ["creditgraph", "serve", "--host", "0.0.0.0"]
