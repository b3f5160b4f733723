import factory

from medborg.accounts.tests.factories import TeamFactory
from medborg.catalog.models import Category, Choice, Question, Service
from medborg.processes.tests.factories import ProcessFactory


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category

    slug = factory.Sequence(lambda n: f"category-{n}")
    name = factory.Sequence(lambda n: f"Category {n}")


class ServiceFactory(factory.django.DjangoModelFactory):
    """A report service asking for a place and up to three photos."""

    class Meta:
        model = Service

    slug = factory.Sequence(lambda n: f"service-{n}")
    code = factory.LazyAttribute(lambda s: s.slug)
    category = factory.SubFactory(CategoryFactory)
    kind = Service.Kind.REPORT
    name = factory.Sequence(lambda n: f"Service {n}")
    short_description = "Tell us about it."
    team = factory.SubFactory(TeamFactory)
    process = factory.SubFactory(ProcessFactory)
    deadline_days = 10
    location = Service.Location.REQUIRED
    max_photos = 3
    max_photo_mb = 2

    class Params:
        application = factory.Trait(
            kind=Service.Kind.APPLICATION,
            location=Service.Location.NONE,
            max_photos=0,
        )


class QuestionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Question

    service = factory.SubFactory(ServiceFactory)
    key = factory.Sequence(lambda n: f"question-{n}")
    position = factory.Sequence(int)
    kind = Question.Kind.TEXT
    label = factory.Sequence(lambda n: f"Question {n}")
    required = True


class ChoiceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Choice

    question = factory.SubFactory(QuestionFactory, kind=Question.Kind.CHOICE)
    value = factory.Sequence(lambda n: f"value-{n}")
    label = factory.Sequence(lambda n: f"Choice {n}")
    position = factory.Sequence(int)
