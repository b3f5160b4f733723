from modeltranslation.translator import TranslationOptions, register

from medborg.catalog.models import Category, Choice, Question, Service, Zone


@register(Category)
class CategoryTranslation(TranslationOptions):
    fields = ["name", "description"]


@register(Service)
class ServiceTranslation(TranslationOptions):
    fields = [
        "name",
        "short_description",
        "help_text",
        "keywords",
        "legal_basis",
        "automation_basis",
    ]


@register(Question)
class QuestionTranslation(TranslationOptions):
    fields = ["label", "help_text"]


@register(Choice)
class ChoiceTranslation(TranslationOptions):
    fields = ["label"]


@register(Zone)
class ZoneTranslation(TranslationOptions):
    fields = ["name"]
