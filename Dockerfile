# Production image: gunicorn serving LogiNexus; the same image runs the Celery worker and beat.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 DJANGO_ENV=production
WORKDIR /app

RUN useradd --create-home --uid 10001 loginexus
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
RUN python -m loginexus.i18n.catalogs
# collectstatic reads settings, which demand their secrets in production: give it throwaway ones.
RUN SECRET_KEY=collectstatic-only DATABASE_URL=postgres://x@localhost/x REDIS_URL=redis://localhost \
    STRIPE_SECRET_KEY=sk_test_collectstatic_only_000000000000 \
    python manage.py collectstatic --noinput

USER loginexus
EXPOSE 8000
CMD ["gunicorn", "loginexus.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
