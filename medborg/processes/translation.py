from modeltranslation.translator import TranslationOptions, register

from medborg.processes.models import Process, Step


@register(Process)
class ProcessTranslation(TranslationOptions):
    fields = ["name"]


@register(Step)
class StepTranslation(TranslationOptions):
    fields = ["name", "public_description"]
